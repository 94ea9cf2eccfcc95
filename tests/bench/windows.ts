/** Placeholder: the windows benchmark is being built. */
export async function bench(line: (label: string, value: string) => void): Promise<void> {
  line("  windows", "being built");
}
