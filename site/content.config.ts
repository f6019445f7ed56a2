import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { z } from 'astro/zod';
import { quiz } from './lib/quiz-schema';

const citation = z.object({
  /** Anchor id used in the prose: [Shazeer et al. 2017](#cite-shazeer2017). */
  id: z.string().regex(/^[a-z0-9-]+$/, 'citation ids are lowercase letters, digits and dashes'),
  authors: z.string(),
  title: z.string(),
  venue: z.string(),
  year: z.number().int(),
  url: z.url(),
});

const lessons = defineCollection({
  loader: glob({ pattern: '**/*.mdx', base: './lessons' }),
  schema: z.object({
    title: z.string(),
    /** Position in the course; lessons are listed and linked previous/next in this order. */
    order: z.number().int().positive(),
    summary: z.string(),
    objectives: z.array(z.string()).min(1),
    citations: z.array(citation).default([]),
    quiz,
  }),
});

export const collections = { lessons };
