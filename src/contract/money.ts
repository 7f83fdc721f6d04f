import currencyCodes from 'currency-codes';

/**
 * Money by ISO 4217: each currency's minor-unit exponent (JPY 0, EUR 2, KWD 3) comes from the
 * `currency-codes` package, which tracks the ISO 4217 list, never from a table of our own.
 */
export const CURRENCY_CODES: readonly string[] = currencyCodes.codes();

export const isCurrency = (code: string): boolean => currencyCodes.code(code) !== undefined;

/** Digits after the decimal point in the currency's minor unit. */
export function minorUnitDigits(currency: string): number {
  const record = currencyCodes.code(currency);
  if (!record) throw new RangeError(`${currency} is not an ISO 4217 currency code`);
  return record.digits;
}

/**
 * Decimals of an amount as its sender wrote it: JSON numbers parse to the double whose shortest form
 * is what was written (trailing zeros aside), so 19.99 has 2 and 1e-7 has 7.
 */
export function decimalsOf(amount: number): number {
  const match = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(amount));
  if (!match) return Infinity;
  return Math.max(0, (match[1]?.length ?? 0) - Number(match[2] ?? 0));
}

/** Null when the amount fits the currency; otherwise why not, for a validation message. */
export function decimalsProblem(amount: number, currency: string): string | null {
  if (!isCurrency(currency)) return null;
  const digits = minorUnitDigits(currency);
  return decimalsOf(amount) > digits ? `has more decimals than ${currency} allows (${digits})` : null;
}

/** An amount in major units (19.99 EUR) as an exact count of minor units (1999). */
export const toMinorUnits = (amount: number, currency: string): number => Math.round(amount * 10 ** minorUnitDigits(currency));

/** A count of minor units (Stripe's 4548 EUR, 1665 JPY) in major units (45.48, 1665). */
export function fromMinorUnits(minor: number, currency: string, digits = minorUnitDigits(currency)): number {
  // Through the decimal string, so 4548 becomes exactly 45.48, not 45.480000000000004.
  if (digits === 0) return minor;
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  return Number(`${minor < 0 ? '-' : ''}${text.slice(0, -digits)}.${text.slice(-digits)}`);
}

/** Amounts agree when they are the same count of minor units. */
export const sameAmount = (a: number, b: number, currency: string): boolean => toMinorUnits(a, currency) === toMinorUnits(b, currency);
