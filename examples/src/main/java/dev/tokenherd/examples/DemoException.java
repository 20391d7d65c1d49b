package dev.tokenherd.examples;

/** The demo cannot run here; the message says what to do. Exit status 1. */
final class DemoException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  DemoException(String message) {
    super(message);
  }
}
