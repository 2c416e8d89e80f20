import { composeWorker } from '../composition/worker.js';

const worker = composeWorker();

export const handler = async (event: unknown, _context: unknown): Promise<void> => worker(event);
