package dev.tokenherd.testkit;

import static dev.tokenherd.testkit.ProcessOutput.TAIL_BYTES;
import static dev.tokenherd.testkit.ProcessOutput.TAIL_LINES;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Cuts what a process wrote down to the tail a failure message shows: the last {@link
 * ProcessOutput#TAIL_LINES} lines within {@link ProcessOutput#TAIL_BYTES} bytes, from kept lines or
 * from the end of a file however long it is. The rules behind {@link ProcessOutput#tail(List)} and
 * {@link ProcessOutput#tail(Path)}.
 */
final class OutputTail {
  private OutputTail() {}

  /** The tail of a file, read from its end; see {@link ProcessOutput#tail(Path)}. */
  static String of(Path file) {
    byte[] end;
    long size;
    try (SeekableByteChannel channel = Files.newByteChannel(file)) {
      size = channel.size();
      long from = Math.max(0, size - TAIL_BYTES);
      ByteBuffer buffer = ByteBuffer.allocate((int) (size - from));
      channel.position(from);
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // read until the buffer is full (the file may grow meanwhile: its end then is later)
      }
      end = Arrays.copyOf(buffer.array(), buffer.position());
    } catch (NoSuchFileException e) {
      return "(no file " + file + ")";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    String text = new String(end, UTF_8);
    boolean cut = size > end.length;
    if (cut) {
      // The first line is probably a part of one: drop it, unless it is all there is.
      int newline = text.indexOf('\n');
      if (newline >= 0 && newline < text.length() - 1) {
        text = text.substring(newline + 1);
      }
    }
    return of(text.lines().toList(), cut);
  }

  /**
   * The tail of {@code lines}, after a note of what was left out; see {@link
   * ProcessOutput#tail(List)}.
   *
   * @param earlierCut whether {@code lines} already lack the start of the output (a file's tail):
   *     the note then says that earlier output was left out, not how many lines
   */
  static String of(List<String> lines, boolean earlierCut) {
    if (lines.isEmpty()) {
      return "(nothing)";
    }
    Deque<String> kept = new ArrayDeque<>();
    int bytes = 0;
    for (int i = lines.size() - 1; i >= 0 && kept.size() < TAIL_LINES; i--) {
      String line = lines.get(i);
      int size = line.getBytes(UTF_8).length + 1;
      if (bytes + size > TAIL_BYTES) {
        if (kept.isEmpty()) {
          kept.addFirst("..." + endOf(line, TAIL_BYTES - 4));
        }
        break;
      }
      kept.addFirst(line);
      bytes += size;
    }
    int omitted = lines.size() - kept.size();
    String note =
        earlierCut
            ? "(earlier output left out)\n"
            : omitted > 0 ? "(" + omitted + " earlier lines left out)\n" : "";
    return note + String.join("\n", kept);
  }

  /** Returns the end of {@code line} that takes at most {@code maxBytes} bytes in UTF-8. */
  private static String endOf(String line, int maxBytes) {
    int start = line.length();
    int bytes = 0;
    while (start > 0) {
      int size = line.substring(start - 1, start).getBytes(UTF_8).length;
      if (bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      start--;
    }
    return line.substring(start);
  }
}
