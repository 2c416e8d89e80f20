/** Where the conversation shows things. */
export interface Screen {
  print(text: string): void;
  /** what is running now (a spinner's text), or undefined once nothing is */
  progress(text: string | undefined): void;
  /** asks for one line, e.g. a menu's choice; absent when nobody can answer (a script) */
  ask?(question: string): Promise<string>;
}
