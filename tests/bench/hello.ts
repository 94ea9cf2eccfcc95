// The baseline for start-up time: a script that loads what every main.ts loads, and prints.
import chalk from "chalk";
import { Command } from "commander";

new Command("hello").action(() => console.log(chalk.green("hello"))).parse();
