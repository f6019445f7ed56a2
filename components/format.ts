// The site's number formatting lives in models/format.ts, so the model library's own sentences (a training
// run too large for memory, say) print bytes and counts exactly as the widgets do.
export * from '../models/format.ts';
