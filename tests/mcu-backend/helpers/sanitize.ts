// The host sanitizer build of the generated C (issue #19): AddressSanitizer and UndefinedBehaviorSanitizer
// (float-cast-overflow included), any report aborting the program, with -pedantic on top of the harness's
// -Wall -Wextra -Werror. Used by sanitize.test.ts (the int8 models) and seanet.test.ts (the int16 ones).
export const SANITIZE_FLAGS = ['-pedantic', '-fsanitize=address,undefined,float-cast-overflow', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

/** SANITIZE_LARGE=1 runs the sanitizer checks on every model instead of the quick sample. */
export const sanitizeAll = process.env.SANITIZE_LARGE === '1';
