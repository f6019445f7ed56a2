// A widget's state bound to the page URL (its one typed schema, components/url-state.ts): the defaults
// until the component mounts, then the link's values and the sentences about what the link got wrong (for
// LinkNotice); from the reader's first change on, every change is written back into the link. The link
// is not rewritten on load, so a link with a typo stays as it was until the reader moves a control.
import { defaults, readPageState, writePageState, type Schema } from './url-state.ts';

export class PageState<S extends object> {
  /** The state the widget shows; change it through {@link update}. */
  value: S = $state() as S;
  /** Why parts of the page's link could not be used, as sentences. */
  problems: string[] = $state([]);
  /** False in the server-rendered HTML, true once the link has been read (tests wait for it). */
  hydrated = $state(false);
  #touched = false;
  readonly #schema: Schema<S>;

  /**
   * Call while the component initialises (it registers an effect). `canWrite` can hold the link back, for
   * example while the view shows an error; it is read inside the effect, so its dependencies are tracked.
   */
  constructor(schema: Schema<S>, canWrite: () => boolean = () => true) {
    this.#schema = schema;
    this.value = defaults(schema);
    $effect(() => {
      const snapshot = $state.snapshot(this.value) as S;
      if (!this.#touched || !canWrite()) return;
      writePageState(schema, snapshot);
    });
  }

  /** Reads the page's link: call from onMount. */
  read(): void {
    const read = readPageState(this.#schema);
    this.value = read.state;
    this.problems = read.problems;
    this.hydrated = true;
  }

  /** The reader changed something: the new state, made consistent by `adjust`, goes into the link. */
  update(change: Partial<S>, adjust: (next: S) => S = (next) => next): void {
    this.#touched = true;
    this.value = adjust({ ...this.value, ...change });
  }
}
