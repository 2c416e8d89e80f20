/**
 * The contract's SSM Parameter Store layout under SSM_PREFIX, named once:
 * the SSM adapter reads it, the local parameter folder mirrors it, `setup`
 * deploys it, and messages that point at a parameter take its name here.
 */
export const SSM_NAMES = {
  policy: 'policy',
  signingSecret: 'slack/signing-secret',
  botToken: 'slack/bot-token',
  botUserId: 'slack/bot-user-id',
} as const;

/** What each cluster has under `clusters/<name>/`; the unlock key is the bot's own, written by autolock. */
export const CLUSTER_KEYS = ['endpoints', 'ca', 'cert', 'key'] as const;
export type ClusterKey = (typeof CLUSTER_KEYS)[number];

export const clusterPrefix = (cluster: string) => `clusters/${cluster}`;
export const clusterParameter = (cluster: string, key: ClusterKey) => `${clusterPrefix(cluster)}/${key}`;
export const unlockKeyParameter = (cluster: string) => `${clusterPrefix(cluster)}/unlock-key`;
