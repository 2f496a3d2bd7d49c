/**
 * The one error a master-file parse ends with.
 *
 * The message is a single line a person can act on, in the `file:line: reason` form that
 * compilers, BIND's named-checkzone and editors' "jump to error" all understand. `reason` is
 * kept separately so an API can report it without the location.
 */
export class ZoneFileError extends Error {
  override name = "ZoneFileError";
  readonly file: string;
  readonly line: number;
  readonly reason: string;

  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}
