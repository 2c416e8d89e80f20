import { describe, expect, it } from 'vitest';
import { signApproval, verifyApproval, type ApprovalRequest } from '../../src/domain/approval.js';

const req: ApprovalRequest = { v: 1, id: 'abc123', text: 'join manager tcp://10.0.0.9:2376', cluster: 'prod', requester: 'U0OPS', channel: 'C0PRODOPS', exp: 1_900_000_000_000 };

describe('signed approval values', () => {
  it('round-trips and fits a button value', () => {
    const value = signApproval(req, 'secret');
    expect(value.length).toBeLessThan(2000);
    expect(verifyApproval(value, 'secret')).toEqual(req);
  });

  it('refuses an edited value, another key, and garbage', () => {
    const value = signApproval(req, 'secret');
    const [body, mac] = value.split('.');
    const edited = Buffer.from(JSON.stringify({ ...req, requester: 'U0EVIL' })).toString('base64url');
    expect(verifyApproval(`${edited}.${mac}`, 'secret')).toBeUndefined();
    expect(verifyApproval(value, 'other-secret')).toBeUndefined();
    expect(verifyApproval(`${body}`, 'secret')).toBeUndefined();
    expect(verifyApproval('', 'secret')).toBeUndefined();
    expect(verifyApproval(`${body}.${mac}.x`, 'secret')).toBeUndefined();
  });
});
