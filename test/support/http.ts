/** The JSON body of a response, typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- e2e suites assert on arbitrary JSON (see eslint.config.mjs)
export async function readJson(response: Response): Promise<any> {
  return response.json();
}
