/** Placeholder: the top-urls benchmark is being built. */
export async function bench(line: (label: string, value: string) => void): Promise<void> {
  line("  top-urls", "being built");
}
