import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { assertAllowedText } from '@mft/core';

/**
 * Runs before every route's validation, on every body, query and path parameter a handler takes:
 * a NUL or an unpaired surrogate anywhere in it (keys included) is refused with a 400 naming the
 * field, whatever the route's own schema says. Bodies a route streams itself (multipart) are
 * checked by their parser with the same rule (`text()` / `assertAllowedText` from @mft/core).
 */
@Injectable()
export class InputStringsPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') {
      // Values a decorator takes from the server's own state (the signed-in user), not client input.
      return value;
    }
    assertAllowedText(value, metadata.data ? [metadata.data] : []);
    return value;
  }
}
