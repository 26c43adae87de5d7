/**
 * Whether timers (the poller, the source-count refresh) run in this process. True for the
 * service; false for one-shot commands such as `npm run sync`, which share the modules.
 */
export const BACKGROUND_JOBS = Symbol('BACKGROUND_JOBS');
