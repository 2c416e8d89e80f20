/** `*bold*` as Slack reads it: after a start, a space or an opening mark, around text that neither starts nor ends with a space (group 1: what precedes it, group 2: the words). */
export const BOLD = /(^|[\s([{"'_~])\*(?=\S)([^*\n]*?\S)\*(?=$|[\s)\]}.,:;!?"'_~])/g;
