import { matchesOf, type PiiEntity, type PiiRecognizer } from './pii-entity.js';

const SUFFIX = String.raw`(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Square|Sq|Terrace|Way|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Alley|Crescent|Close|Gardens|Row|Walk|Strasse|Straße|Str|Rue|Via|Calle|Avenida|Rua|Gasse|Weg|Katu|Tie|Vej|Gatan|Gade)`;
const UNIT = String.raw`(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|#)\.?\s*\w+)?`;
// "1600 Pennsylvania Avenue NW, Apt. 5", "Rue de Rivoli 12", "PO Box 123".
const NUMBER_FIRST = new RegExp(String.raw`\b\d{1,6}[A-Za-z]?\s+(?:\p{Lu}[\p{L}'.-]*\s+){0,4}${SUFFIX}\b\.?(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?${UNIT}`, 'gu');
const NAME_FIRST = new RegExp(String.raw`\b${SUFFIX}\s+(?:(?:de|del|da|do|des|du|la|le|der|di)\s+)?(?:\p{Lu}[\p{L}'-]*\s+){1,3}\d{1,5}[A-Za-z]?\b${UNIT}`, 'gu');
const PO_BOX = /\b(?:P\.?\s?O\.?\s?Box|PSC)\s+\d{1,6}(?:,\s*Box\s+\d{1,6})?/giu;
const UNIT_ONLY = /\b(?:Apt|Apartment|Suite)\.?\s+\d{1,5}[A-Za-z]?\b/gu;

/**
 * STREET_ADDRESS: a house number with a street-type word on either side (English, French,
 * German, Spanish, Portuguese, Nordic forms), P.O. boxes, and apartment or suite numbers.
 */
export const streetAddressRecognizer: PiiRecognizer = {
  type: 'STREET_ADDRESS',
  find(text): PiiEntity[] {
    return [NUMBER_FIRST, NAME_FIRST, PO_BOX, UNIT_ONLY].flatMap((pattern) =>
      matchesOf(pattern, text).map((m) => ({ type: 'STREET_ADDRESS', start: m.index, end: m.index + m[0].length, score: 0.75 })),
    );
  },
};
