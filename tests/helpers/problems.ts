import { ConfigError } from "../../config/validate";

/** The problems a config parser reports (empty when it accepts the input); other errors propagate. */
export function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}
