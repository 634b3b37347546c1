/** Django's user name rule (the original's): letters, digits and @ . + - _, 1 to 150 of them. */
export const USERNAME_PATTERN = /^[\w.@+-]{1,150}$/u;

/** What is wrong with a user name, or undefined when it is a valid one. */
export function usernameProblem(name: string): string | undefined {
  return USERNAME_PATTERN.test(name)
    ? undefined
    : 'is not a valid user name: use 1-150 letters, digits and @ . + - _';
}
