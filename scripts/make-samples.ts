// Writes models/checkpoints/samples.json: the held-out passage the browser lesson measures loss on, and
// the example prompts it offers, all taken from the Brown Corpus's TEST split (never trained on).
// Run after changing the split: node scripts/make-samples.ts
import { writeFileSync } from 'node:fs';
import { genreOf } from '../models/text/corpus.ts';
import { loadCorpusSplits } from './corpus-data.ts';

const { test } = loadCorpusSplits();

/** The first sentences of a document, up to about `chars` characters, ending at a sentence end. */
function opening(text: string, chars: number): string {
  const cut = text.slice(0, chars);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('.\n'));
  return (end > 40 ? cut.slice(0, end + 1) : cut).trim();
}

/** First words of a document, for a prompt the model continues. */
function prompt(text: string, words: number): string {
  return text.split(/\s+/).slice(0, words).join(' ');
}

const genres = ['a', 'f', 'j', 'k', 'n', 'r'];
const prompts = genres.flatMap((code) => {
  const doc = test.find((d) => d.genre === code);
  return doc ? [{ genre: genreOf(doc.id).name, document: doc.id, text: prompt(doc.text, 9) }] : [];
});
const heldOutDoc = test.find((d) => d.genre === 'a')!;
const samples = {
  source: 'Brown Corpus, test split (models/text/corpus.ts); these documents were never used for training.',
  heldOut: { document: heldOutDoc.id, genre: genreOf(heldOutDoc.id).name, text: opening(heldOutDoc.text, 700) },
  prompts,
};
writeFileSync('models/checkpoints/samples.json', JSON.stringify(samples, null, 2) + '\n');
console.log(`wrote models/checkpoints/samples.json: ${prompts.length} prompts, held-out passage from ${heldOutDoc.id}`);
