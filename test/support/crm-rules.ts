import { normalizePhone } from '../../src/knowlarity/phone';

/**
 * What the CRM rules imply for a set of call-log records, computed without the service: one lead
 * per phone with an inbound call, one history row per further source of that phone, and per
 * source the number of phones it brought.
 */
export function expectedCrmRows(
  records: Record<string, unknown>[],
  sourceOfNumber: (srNumber: string) => string,
) {
  const sourcesByPhone = new Map<string, Set<string>>();
  for (const record of records) {
    if (Number(record.Call_Type) !== 0) continue;
    const phone = normalizePhone(record.customer_number)!.national;
    const source = sourceOfNumber(String(record.knowlarity_number));
    sourcesByPhone.set(phone, (sourcesByPhone.get(phone) ?? new Set()).add(source));
  }
  const perSource: Record<string, number> = {};
  for (const sources of sourcesByPhone.values()) {
    for (const source of sources) perSource[source] = (perSource[source] ?? 0) + 1;
  }
  return {
    calls: records.length,
    leads: sourcesByPhone.size,
    history: [...sourcesByPhone.values()].reduce((sum, sources) => sum + sources.size - 1, 0),
    perSource,
  };
}
