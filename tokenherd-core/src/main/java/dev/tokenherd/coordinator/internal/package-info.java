/** The refresh engine. Not API: these types may change without notice. */
@NullMarked
package dev.tokenherd.coordinator.internal;

import org.jspecify.annotations.NullMarked;
