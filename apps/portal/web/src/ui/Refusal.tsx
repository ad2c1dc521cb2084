import { ApiError } from '../api/client.ts';

/** A refusal as the person reads it: the API's own message, never a code alone. */
export function Refusal({ error, id }: { error: unknown; id?: string }) {
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert" id={id}>
      {message}
    </p>
  );
}
