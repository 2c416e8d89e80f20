import { composeRotation } from '../composition/worker-root.js';

const rotation = composeRotation();

export const handler = async (event: unknown, _context: unknown) => rotation(event);
