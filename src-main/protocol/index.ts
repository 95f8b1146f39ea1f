export * from './types';
export * from './messages';
