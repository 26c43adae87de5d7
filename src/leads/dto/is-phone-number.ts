import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, ValidateBy, ValidationOptions } from 'class-validator';
import { normalizePhone } from '../../knowlarity/phone';

/**
 * A phone number the ingest would accept (normalizePhone), in any of its formats. The message
 * names the field, never the value: a phone number is personal data.
 */
export function IsPhoneNumber(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPhoneNumber',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && normalizePhone(value) !== null,
        defaultMessage: (args) =>
          `${args?.property} must be a phone number (such as +91 98000 00101 or 9800000101)`,
      },
    },
    options,
  );
}

/** An optional query parameter: a phone number in any format the ingest accepts. */
export function PhoneField(description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description, example: '+91 98000 00101' }),
    IsOptional(),
    IsPhoneNumber(),
  );
}
