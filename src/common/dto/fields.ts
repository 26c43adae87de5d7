import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsDateOrDateTime } from '../dates';
import { toInteger, trimmed } from '../pagination/query-values';

/** What the OpenAPI document says of a field; fields are optional unless `required`. */
export interface FieldDocs {
  description?: string;
  example?: string;
  required?: boolean;
}

/**
 * The field's OpenAPI entry and its rules: IsOptional unless required, then `rules` built for
 * the field's name, so every 400 names the field (and never echoes its value).
 */
function field(
  docs: FieldDocs,
  schema: ApiPropertyOptions,
  rules: (name: string) => PropertyDecorator[],
): PropertyDecorator {
  const { required = false, ...text } = docs;
  const documented = { ...schema, ...text };
  return (target, key) =>
    applyDecorators(
      ...(required ? [ApiProperty(documented)] : [ApiPropertyOptional(documented), IsOptional()]),
      ...rules(String(key)),
    )(target, key);
}

/**
 * A whole number from 1 to `max` (any positive integer without one), written as plain digits:
 * `1e3` or `5.0` stay text and are refused.
 */
export function IntegerField(
  options: FieldDocs & { max?: number; default?: number } = {},
): PropertyDecorator {
  const { max, default: fallback, ...docs } = options;
  const schema: ApiPropertyOptions = {
    type: Number,
    minimum: 1,
    ...(max === undefined ? {} : { maximum: max }),
    ...(fallback === undefined ? {} : { default: fallback }),
  };
  return field(docs, schema, (name) => {
    const message =
      max === undefined
        ? `${name} must be a positive integer`
        : `${name} must be an integer between 1 and ${max}`;
    return [
      Transform(toInteger),
      IsInt({ message }),
      Min(1, { message }),
      Max(max ?? Number.MAX_SAFE_INTEGER, { message }),
    ];
  });
}

/** Text of 1 to `maxLength` characters; `trim`: surrounding whitespace is dropped first. */
export function TextField(
  options: FieldDocs & { maxLength: number; trim?: boolean },
): PropertyDecorator {
  const { maxLength, trim = false, ...docs } = options;
  return field(docs, { maxLength }, (name) => {
    const message = `${name} must be text of 1 to ${maxLength} characters`;
    return [
      ...(trim ? [Transform(trimmed)] : []),
      IsString({ message }),
      IsNotEmpty({ message }),
      MaxLength(maxLength, { message }),
    ];
  });
}

/** One of a few words, such as `answered` or `missed`. */
export function OneOfField(values: readonly string[], docs: FieldDocs = {}): PropertyDecorator {
  return field(docs, { enum: [...values] }, (name) => {
    const message = `${name} must be ${values.join(' or ')}`;
    return [IsString({ message }), IsIn([...values], { message })];
  });
}

/**
 * One end of a time range: an ISO date-time, or a plain date in BUSINESS_TIMEZONE (the start of
 * that day for `from`, its end for the exclusive `to`). `what` says whose time it bounds.
 */
export function DateBoundaryField(end: 'from' | 'to', what: string): PropertyDecorator {
  const description =
    end === 'from'
      ? `${what} at or after: an ISO date-time, or a date in BUSINESS_TIMEZONE.`
      : `${what} before (exclusive): an ISO date-time, or a date in BUSINESS_TIMEZONE meaning ` +
        'the end of that day.';
  return field({ description, example: '2026-11-20' }, {}, () => [IsDateOrDateTime()]);
}
