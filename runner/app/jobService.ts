/** Old home of JobSession (runner/app/jobSession.ts): kept so existing imports still work. */
export * from './jobSession.ts';
