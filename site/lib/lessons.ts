import { getCollection, type CollectionEntry } from 'astro:content';

export type Lesson = CollectionEntry<'lessons'>;

/** All lessons in course order; two lessons claiming the same position is a build error, not a coin toss. */
export async function lessonsInOrder(): Promise<Lesson[]> {
  const lessons = (await getCollection('lessons')).sort((a, b) => a.data.order - b.data.order);
  lessons.forEach((lesson, i) => {
    const next = lessons[i + 1];
    if (next && next.data.order === lesson.data.order) {
      throw new Error(`Lessons "${lesson.id}" and "${next.id}" both have order ${lesson.data.order}.`);
    }
  });
  return lessons;
}
