/** Where the conversation shows things. */
export interface Screen {
  print(text: string): void;
  /**
   * what is running now (a spinner's text), or undefined once nothing is;
   * `phase`: a long action's current step, as its Slack message is edited to show ("Probe running on 3 of 5 nodes…")
   */
  progress(text: string | undefined, o?: { phase?: boolean }): void;
  /** asks for one line, e.g. a menu's choice; absent when nobody can answer (a script) */
  ask?(question: string): Promise<string>;
}
