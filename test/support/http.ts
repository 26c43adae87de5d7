/**
 * The JSON body of a response. `unknown` unless the caller names the shape it expects from that
 * endpoint; naming it is a claim the test's assertions then check, not a validation.
 */
export async function readJson<T = unknown>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** A refusal, from any route: a stable code and a message, never a stack trace. */
export interface ErrorBody {
  success: false;
  code: string;
  message: string;
}

/** A webhook's answer: an outcome when the call was taken, a code when it was refused. */
export interface WebhookBody {
  success: boolean;
  outcome?: string;
  callId?: string;
  leadId?: number | null;
  assignedTo?: string | null;
  assignmentReason?: string | null;
  code?: string;
  message?: string;
}
