/**
 * Parsing of numeric command-line options. Commander hands options over as strings; these
 * turn them into numbers or throw a UsageError whose one line names the option, so a typo
 * never reaches the engine as NaN.
 */
import { UsageError } from '../errors';

/** `value` as a whole number ≥ `min`, or undefined when the option was not given. */
export function integerOption(
  name: string,
  value: string | undefined,
  min = 0,
): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const number = Number(trimmed);
  if (trimmed === '' || !Number.isInteger(number)) {
    throw new UsageError('cli/bad-option', `${name} must be a whole number (got "${value}")`);
  }
  if (number < min)
    throw new UsageError('cli/bad-option', `${name} must be at least ${min} (got ${number})`);
  return number;
}

/** `value` as a finite number within [min, max], or undefined when the option was not given. */
export function numberOption(
  name: string,
  value: string | undefined,
  min = -Infinity,
  max = Infinity,
): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const number = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(number)) {
    throw new UsageError('cli/bad-option', `${name} must be a number (got "${value}")`);
  }
  if (number < min || number > max) {
    const range = max === Infinity ? `at least ${min}` : `between ${min} and ${max}`;
    throw new UsageError('cli/bad-option', `${name} must be ${range} (got ${number})`);
  }
  return number;
}

/** `value` as a number above 0 (and at most `max`), or undefined when the option was not given. */
export function positiveNumberOption(
  name: string,
  value: string | undefined,
  max = Infinity,
): number | undefined {
  const number = numberOption(name, value, -Infinity, max);
  if (number !== undefined && number <= 0) {
    throw new UsageError('cli/bad-option', `${name} must be above 0 (got ${number})`);
  }
  return number;
}

/** `value` when it is one of `choices`, or undefined when the option was not given. */
export function choiceOption<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(
      'cli/bad-option',
      `${name} must be one of ${choices.join(', ')} (got "${value}")`,
    );
  }
  return value as T;
}
