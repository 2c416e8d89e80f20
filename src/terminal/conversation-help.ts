/** What can be typed in the terminal conversation besides `/swarm …`: `:help` prints it. */
export const CONVERSATION_HELP = [
  '/swarm <command>     what you would type in Slack (the /swarm may be left out): /swarm status, /swarm help',
  ':as approver         be someone else: approver, you, or a Slack user ID such as U0SOMEONE (:as alone lists people)',
  ':click N [option]    pick button or menu N (the numbers in brackets); a bare N does the same',
  ':audit [N]           the audit channel: its latest N messages (default 10)',
  ':watch               one pass of the watch now, then its alert channel',
  ':channel C0OTHER     type in another channel (commands for a cluster may be limited to some)',
  ':quit                leave (Ctrl-D too)',
];
