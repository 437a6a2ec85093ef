import { passesLuhn } from '../../src/signals/pii/credit-card-recognizer.js';
import { passesIbanChecksum } from '../../src/signals/pii/iban-recognizer.js';
import { detectPii } from '../../src/signals/pii/pii-detector.js';
import { createPhoneNumberRecognizer } from '../../src/signals/pii/phone-number-recognizer.js';
import { taggerTokens } from '../../src/signals/pii/tagger-features.js';
import { isValidSsn } from '../../src/signals/pii/us-ssn-recognizer.js';
import { piiSignalPlugin } from '../../src/signals/pii.js';

// At the signal's default threshold, so a context-free phone guess does not count.
const types = (text: string) => detectPii(text, 0.7).map((e) => `${e.type}:${text.slice(e.start, e.end)}`);

describe('structured PII recognizers', () => {
  it('checks card numbers with Luhn', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(types('card 4111 1111 1111 1111 ok')).toEqual(['CREDIT_CARD:4111 1111 1111 1111']);
    expect(types('order 4111 1111 1111 1112')).not.toContainEqual(expect.stringContaining('CREDIT_CARD'));
  });

  it('applies the SSA rules to SSNs', () => {
    expect(isValidSsn('123', '45', '6789')).toBe(true);
    for (const [a, g, s] of [['000', '12', '3456'], ['666', '12', '3456'], ['912', '12', '3456'], ['123', '00', '4567'], ['123', '45', '0000']]) expect(isValidSsn(a!, g!, s!)).toBe(false);
    expect(types('SSN 123-45-6789')).toEqual(['US_SSN:123-45-6789']);
    expect(types('SSN 666-45-6789')).toEqual([]);
  });

  it('checks IBANs with mod 97 and the country length', () => {
    expect(passesIbanChecksum('GB82WEST12345698765432')).toBe(true);
    expect(passesIbanChecksum('GB82WEST12345698765433')).toBe(false);
    expect(types('pay GB82 WEST 1234 5698 7654 32 today')).toEqual(['IBAN_CODE:GB82 WEST 1234 5698 7654 32']);
    expect(types('pay GB82WEST1234569876543 today')).toEqual([]);
  });

  it('finds IPv4 and IPv6 addresses that node:net accepts', () => {
    expect(types('hosts 10.0.0.1 and 2001:db8::8a2e:370:7334')).toEqual(['IP_ADDRESS:10.0.0.1', 'IP_ADDRESS:2001:db8::8a2e:370:7334']);
    expect(types('version 999.1.1.1 at 12:30:45')).toEqual([]);
  });

  it('finds e-mail addresses, URLs and phone numbers without overlaps', () => {
    expect(types('write to jane.doe@example.co.uk or see https://example.com/a.')).toEqual(['EMAIL_ADDRESS:jane.doe@example.co.uk', 'URL:https://example.com/a']);
    expect(types('call me on +44 20 7946 0958')).toEqual(['PHONE_NUMBER:+44 20 7946 0958']);
    expect(types('on 2024-01-15 we sold 3.14159')).toEqual([]);
  });

  it('finds names and street addresses from context', () => {
    expect(types('Dear Mr. John Smith, we will ship to 1600 Pennsylvania Avenue NW, Apt. 5.')).toEqual(['PERSON:John Smith', 'STREET_ADDRESS:1600 Pennsylvania Avenue NW, Apt. 5']);
  });

  it('validates phone numbers by form and context', () => {
    expect(types('ring (202) 456-1111 ext. 23 or 415-555-0132')).toEqual(['PHONE_NUMBER:(202) 456-1111 ext. 23', 'PHONE_NUMBER:415-555-0132']);
    expect(types('Desk: 5403926876\nFax: +14155550132')).toEqual(['PHONE_NUMBER:5403926876', 'PHONE_NUMBER:+14155550132']);
    // A date-time, a licence number and an order number are digit groups, not phones.
    expect(types('Meeting on 2024-03-05 10:30, my driver licence is 415-555-0132, order 55521 9912.')).toEqual([]);
  });

  it('validates numbers with libphonenumber for their country code or the default regions', () => {
    // Country code given as + or as the 00 international prefix.
    expect(types('Paris +33 1 42 68 53 00, London 0044 20 7946 0958')).toEqual(['PHONE_NUMBER:+33 1 42 68 53 00', 'PHONE_NUMBER:0044 20 7946 0958']);
    // A national number in its region's written form (trunk prefix 0) needs no phone word.
    expect(types('the office is on 020 7946 0958 until six')).toEqual(['PHONE_NUMBER:020 7946 0958']);
    // Only regions in the recognizer's set validate a national number.
    expect(createPhoneNumberRecognizer(['US']).find('the office is on 020 7946 0958 until six')[0]?.score).toBeLessThan(0.7);
    expect(createPhoneNumberRecognizer().find('the office is on 020 7946 0958 until six')[0]?.score).toBeGreaterThanOrEqual(0.7);
  });

  it('needs a phone word for plain digit groups', () => {
    expect(types('we shipped 374 780 163 units')).toEqual([]);
    expect(types('call me on 374 780 163')).toEqual(['PHONE_NUMBER:374 780 163']);
    // Not valid in any default region, but labelled as a phone.
    expect(types('phone 78 651 450')).toEqual(['PHONE_NUMBER:78 651 450']);
    expect(types('we shipped 78 651 450 units')).toEqual([]);
    expect(types('my number is 5403926876, the commit was 5403926877')).toEqual(['PHONE_NUMBER:5403926876']);
  });

  it('does not take dates, versions, codes, amounts, cards or addresses for phones', () => {
    for (const text of [
      'on 2024 03 05 and 05 03 2024, call me',
      'call me at 10:30 on 12.05.2024',
      'Windows 10.0.19041.1 build',
      'zip 94105-1234',
      'ISBN 978-0-13-110362-7',
      'tracking number 1Z 999 AA1 0123 4567 84',
      'budget 1 250 000 euros, population 8 336 817 in 2020',
      'costs $1,250,000.00 at 10:30:45',
      'order #5552199120 shipped',
      'coordinates 40.7128 -74.0060, ratio 1:2:3:4:5:6:7',
    ])
      expect(types(text).filter((t) => t.startsWith('PHONE_NUMBER'))).toEqual([]);
    expect(types('call about card 4111 1111 1111 1111 or host 192.168.100.200')).toEqual(['CREDIT_CARD:4111 1111 1111 1111', 'IP_ADDRESS:192.168.100.200']);
  });
});

describe('name and address tagger', () => {
  it('splits possessives and keeps offsets', () => {
    expect(taggerTokens("O'Brien's car,\n12 Main").map((t) => [t.text, t.start, t.lineStart])).toEqual([
      ["O'Brien", 0, false],
      ["'", 7, false],
      ['s', 8, false],
      ['car', 10, false],
      [',', 13, false],
      ['12', 15, true],
      ['Main', 18, false],
    ]);
  });

  it('finds names and addresses in sentences unlike its training templates', () => {
    expect(types('Please send the contract to Margaret Okafor before Friday.')).toEqual(['PERSON:Margaret Okafor']);
    expect(types('Hi Priya, can you review the PR from Daniel?')).toEqual(['PERSON:Priya', 'PERSON:Daniel']);
    expect(types('My neighbour Tomasz Wiśniewski lives at 42 Elm Grove Road, Leeds LS6 2AB.')).toEqual(['PERSON:Tomasz Wiśniewski', 'STREET_ADDRESS:42 Elm Grove Road, Leeds LS6 2AB']);
  });

  it('leaves capitalised technical words and places alone', () => {
    for (const text of ['Explain how Kubernetes schedules pods across nodes.', 'Write a Python function that parses JSON from Amazon S3.', 'The capital of France is Paris.']) expect(types(text)).toEqual([]);
    // A lone zip code is not a street address.
    expect(types('my zip code is 35350')).toEqual([]);
  });
});

describe('pii signal', () => {
  const view = (text: string) => ({ lastUserText: text, messages: [{ role: 'user', text }], headers: new Map<string, string>() });

  it('matches on denied types only', async () => {
    const extractor = await piiSignalPlugin.create([{ name: 'strict' }, { name: 'emails_ok', pii_types_allowed: ['EMAIL_ADDRESS'] }], { configDir: '.' });
    const results = await extractor.extract(view('mail a@b.example'), new AbortController().signal);
    expect(results.map((r) => [r.name, r.matched])).toEqual([['strict', true], ['emails_ok', false]]);
  });
});
