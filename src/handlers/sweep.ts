import { composeSweep } from '../composition/worker.js';

const sweep = composeSweep();

export const handler = async (_event: unknown, _context: unknown) => sweep();
