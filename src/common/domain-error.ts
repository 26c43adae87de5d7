/**
 * Base class for errors that mean something to the domain rather than to the transport.
 * `code` is stable and machine-readable; the exception filters at the edge map it to an HTTP
 * status, so services never need to know about HTTP.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
