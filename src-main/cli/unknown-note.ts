/** The one-line note the CLI prints when a text has symbols its model does not know. */
export function unknownSymbolsNote(symbols: readonly string[], fate: string): string {
  const shown = symbols
    .slice(0, 20)
    .map((symbol) => JSON.stringify(symbol))
    .join(' ');
  return `note: ${symbols.length} symbol(s) not in the model's vocabulary, ${fate}: ${shown}${symbols.length > 20 ? ' …' : ''}`;
}
