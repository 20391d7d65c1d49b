package dev.tokenherd.examples;

/** A command line the demo cannot run: printed with the usage, exit status 2. */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
