/** Sign in with a project API key; the key is checked and never stored in the browser. */
export function SignInPage({ next, error }: { next: string; error?: string | undefined }) {
  return (
    <section class="sign-in">
      <h1>Sign in</h1>
      <p>
        Use a project API key (`deployledger keys create owner/repo`). You will see that key's repositories.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <form method="post" action="/dashboard/sign-in">
        <input type="hidden" name="next" value={next} />
        <label>
          API key
          <input type="password" name="key" autocomplete="off" required />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}
