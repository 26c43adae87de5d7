/**
 * What the missed-call queue should hold for a set of calls, computed from the calls alone,
 * without the service: per phone, each inbound missed call belongs to the first answered call
 * (either direction) that started after it, or to nobody; the calls sharing one answer (or none)
 * are one entry.
 */
export interface SentCall {
  callId: string;
  phone: string;
  direction: 'inbound' | 'outbound';
  missed: boolean;
  at: Date;
  leadId: number | null;
}

export interface ExpectedEntry {
  phone: string;
  leadId: number | null;
  attempts: number;
  firstMissedAt: string;
  lastMissedAt: string;
  waitingSeconds: number | null;
  returnedCallId: string | null;
  returnedAt: string | null;
  returnedDirection: 'inbound' | 'outbound' | null;
  returnedAfterSeconds: number | null;
}

const byTimeThenId = (a: SentCall, b: SentCall) =>
  a.at.getTime() - b.at.getTime() || (a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0);

export function expectedMissedQueue(calls: SentCall[], now: Date) {
  const byPhone = new Map<string, SentCall[]>();
  for (const call of calls) byPhone.set(call.phone, [...(byPhone.get(call.phone) ?? []), call]);

  const waiting: ExpectedEntry[] = [];
  const returned: ExpectedEntry[] = [];
  for (const [phone, phoneCalls] of byPhone) {
    const answered = phoneCalls.filter((c) => !c.missed).sort(byTimeThenId);
    const groups = new Map<SentCall | null, SentCall[]>();
    for (const missed of phoneCalls.filter((c) => c.missed && c.direction === 'inbound')) {
      const answer = answered.find((a) => a.at.getTime() > missed.at.getTime()) ?? null;
      groups.set(answer, [...(groups.get(answer) ?? []), missed]);
    }
    for (const [answer, group] of groups) {
      group.sort(byTimeThenId);
      const first = group[0];
      const last = group[group.length - 1];
      const entry: ExpectedEntry = {
        phone,
        leadId: [...group].reverse().find((c) => c.leadId !== null)?.leadId ?? null,
        attempts: group.length,
        firstMissedAt: first.at.toISOString(),
        lastMissedAt: last.at.toISOString(),
        waitingSeconds: answer
          ? null
          : Math.max(Math.floor((now.getTime() - first.at.getTime()) / 1000), 0),
        returnedCallId: answer?.callId ?? null,
        returnedAt: answer ? answer.at.toISOString() : null,
        returnedDirection: answer?.direction ?? null,
        returnedAfterSeconds: answer
          ? Math.floor((answer.at.getTime() - first.at.getTime()) / 1000)
          : null,
      };
      (answer ? returned : waiting).push(entry);
    }
  }
  waiting.sort((a, b) => b.lastMissedAt.localeCompare(a.lastMissedAt));
  returned.sort((a, b) => b.returnedAt!.localeCompare(a.returnedAt!));
  return { waiting, returned };
}
