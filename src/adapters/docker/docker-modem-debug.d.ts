// The part of the `debug` package (docker-modem's logger) that docker-connector.ts switches off.
declare module 'debug' {
  interface DebugRegistry {
    /** replaces the enabled namespaces, e.g. `a:*,-a:b` */
    enable(namespaces: string): void;
    /** disables everything and returns what was enabled */
    disable(): string;
    enabled(name: string): boolean;
  }
  const debug: DebugRegistry;
  export default debug;
}
