import { ConfigError } from '../../errors.js';
import { unlockKeyParameter } from '../../config/ssm-names.js';
import type { UnlockKeyStore } from '../../ports.js';
import type { SsmParameters } from './ssm-parameters.js';

/** Autolock's unlock key as the contract keeps it: SSM `clusters/<name>/unlock-key`, a SecureString. */
export class SsmUnlockKeys implements UnlockKeyStore {
  constructor(private readonly params: SsmParameters) {}

  private name = unlockKeyParameter;

  put(cluster: string, key: string): Promise<void> {
    return this.params.putSecureString(this.name(cluster), key);
  }

  async get(cluster: string): Promise<string | undefined> {
    try {
      return (await this.params.get([this.name(cluster)]))[this.name(cluster)] || undefined;
    } catch (err) {
      // never written: autolock was never turned on by the bot
      if (err instanceof ConfigError && /missing|not found|ParameterNotFound/i.test(err.message)) return undefined;
      throw err;
    }
  }
}
