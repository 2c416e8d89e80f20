import { composeRotation } from '../composition/worker.js';

const rotation = composeRotation();

export const handler = async (event: unknown, _context: unknown) => rotation(event);
