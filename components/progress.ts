// The reader's progress, kept in this browser only: lessons opened, quizzes finished, and each quiz's
// answers. One module for the course map, the lesson pages and the quiz, so they agree on the keys.

const PROGRESS_KEY = 'moe-lab-progress';
const QUIZ_PREFIX = 'moe-lab-quiz:';

export interface Progress {
  /** Lesson ids, in the order first opened. */
  opened: string[];
  /** Lessons whose every quiz question the reader has answered. */
  quizzes: string[];
}

/** What the quiz remembers of one question: the reader's last checked answer and whether it was right. */
export interface SavedAnswer {
  value: string;
  correct: boolean;
}

export type SavedQuiz = Record<string, SavedAnswer>;

/** Storage can be blocked (private windows, sandboxed frames): progress then lasts as long as the page. */
function read(key: string): unknown {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? null : JSON.parse(raw);
  } catch {
    return null;
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Blocked or full: nothing else to do, and nothing the reader loses on this page.
  }
}

const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

export function readProgress(): Progress {
  const stored = read(PROGRESS_KEY);
  const record = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};
  return { opened: stringList(record.opened), quizzes: stringList(record.quizzes) };
}

function add(list: 'opened' | 'quizzes', lessonId: string): void {
  const progress = readProgress();
  if (progress[list].includes(lessonId)) return;
  progress[list].push(lessonId);
  write(PROGRESS_KEY, progress);
}

export const markOpened = (lessonId: string): void => add('opened', lessonId);
export const markQuizFinished = (lessonId: string): void => add('quizzes', lessonId);

export function readQuiz(lessonId: string): SavedQuiz {
  const stored = read(QUIZ_PREFIX + lessonId);
  if (typeof stored !== 'object' || stored === null) return {};
  const answers: SavedQuiz = {};
  for (const [id, answer] of Object.entries(stored as Record<string, unknown>)) {
    const a = answer as Partial<SavedAnswer> | null;
    if (a && typeof a.value === 'string' && typeof a.correct === 'boolean')
      answers[id] = { value: a.value, correct: a.correct };
  }
  return answers;
}

export const saveQuiz = (lessonId: string, answers: SavedQuiz): void => write(QUIZ_PREFIX + lessonId, answers);

/** Forgets everything above: opened lessons, finished quizzes and every saved answer. */
export function resetProgress(): void {
  try {
    const keys = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i) ?? '');
    for (const key of keys) if (key === PROGRESS_KEY || key.startsWith(QUIZ_PREFIX)) localStorage.removeItem(key);
  } catch {
    // Storage blocked: nothing was stored.
  }
}
