import { composeFailureNotice } from '../composition/failed-root.js';

const notice = composeFailureNotice();

/** The worker's on-failure destination: Lambda invokes it with its record of the failed run (src/app/failure-notice.ts). */
export const handler = async (event: unknown, _context: unknown): Promise<void> => notice(event);
