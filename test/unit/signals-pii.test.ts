import { passesLuhn } from '../../src/signals/pii/credit-card-recognizer.js';
import { passesIbanChecksum } from '../../src/signals/pii/iban-recognizer.js';
import { detectPii } from '../../src/signals/pii/pii-detector.js';
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
});

describe('pii signal', () => {
  const view = (text: string) => ({ lastUserText: text, messages: [{ role: 'user', text }], headers: new Map<string, string>() });

  it('matches on denied types only', async () => {
    const extractor = await piiSignalPlugin.create([{ name: 'strict' }, { name: 'emails_ok', pii_types_allowed: ['EMAIL_ADDRESS'] }], { configDir: '.' });
    const results = await extractor.extract(view('mail a@b.example'), new AbortController().signal);
    expect(results.map((r) => [r.name, r.matched])).toEqual([['strict', true], ['emails_ok', false]]);
  });
});
