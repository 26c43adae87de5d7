/**
 * Base class for errors that mean something to the domain rather than to the transport.
 * `code` is stable and machine-readable; `httpStatus` is the status the edge answers with, chosen
 * by the error itself (there is no table of codes to keep in step). Services throw or return
 * these and never touch HTTP exception classes.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The status a client sees; 500 unless the error is the client's to fix or to retry. */
    readonly httpStatus: number = 500,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
