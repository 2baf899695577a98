using System.Globalization;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Script run once in every new decoder engine, before any decoder: bounds the built-ins that can build a huge
/// string or buffer inside one native call, where Jint's memory and time limits (checked between statements) cannot
/// see it. Measured here without it: <c>'a'.repeat(5e8)</c> 3 s and 953 MiB; <c>'x'.repeat(1e6).replaceAll('x',
/// 'y'.repeat(1000))</c> 9 s and 1.9 GiB; <c>Array(1000).fill(s1MB).join('')</c> 22 s and 1.9 GiB;
/// <c>new Uint8Array({length: 1e9})</c> 122 s and 69 GiB allocated.
/// </summary>
/// <remarks>
/// Each guard refuses before the allocation with a RangeError, or (<c>Array.prototype.join</c>) builds the result in
/// script, where every append is charged to the memory limit and every element to the statement limit. The originals
/// stay in the closure, out of the decoder's reach; SharedArrayBuffer and Atomics are removed (no decoder needs
/// threads). What no guard covers is still bounded in time by <see cref="DecoderThreads"/>.
/// </remarks>
internal static class SandboxGuards
{
    private const string Template = """
        (function (maxChars, maxBytes) {
          'use strict';
          var define = Object.defineProperty, apply = Reflect.apply, construct = Reflect.construct;
          var OriginalArrayBuffer = ArrayBuffer, toStr = String, trunc = Math.trunc;

          function count(n) { n = trunc(Number(n)); return n > 0 ? n : 0; }
          function refuse(what, n, max) {
            throw new RangeError(what + ' would build ' + n + ', more than the sandbox allows (' + max + ')');
          }
          function method(owner, name, body) {
            define(owner, name, { value: body, writable: true, configurable: true, enumerable: false });
          }
          function wrap(owner, name, check) {
            var original = owner[name];
            if (typeof original !== 'function') { return; }
            method(owner, name, function () { return apply(original, this, check(this, arguments)); });
          }

          wrap(String.prototype, 'repeat', function (self, args) {
            var n = toStr(self).length * count(args[0]);
            if (n > maxChars) { refuse('repeat', n, maxChars); }
            return args;
          });
          ['padStart', 'padEnd'].forEach(function (name) {
            wrap(String.prototype, name, function (self, args) {
              if (count(args[0]) > maxChars) { refuse(name, count(args[0]), maxChars); }
              return args;
            });
          });
          wrap(String.prototype, 'concat', function (self, args) {
            var texts = [], n = toStr(self).length;
            for (var i = 0; i < args.length; i++) { texts.push(toStr(args[i])); n += texts[i].length; }
            if (n > maxChars) { refuse('concat', n, maxChars); }
            return texts;
          });
          ['replace', 'replaceAll'].forEach(function (name) {
            wrap(String.prototype, name, function (self, args) {
              if (typeof args[1] === 'function') { return args; } // each replacement is script: charged as it runs
              var text = toStr(self), replacement = toStr(args[1]);
              // Every match (at most one per position) gets the replacement; $&, $` and $' insert up to the whole text.
              var n = text.length + (text.length + 1) * replacement.length * (replacement.indexOf('$') < 0 ? 1 : text.length + 1);
              if (n > maxChars) { refuse(name, n, maxChars); }
              return [args[0], replacement];
            });
          });
          ['encodeURI', 'encodeURIComponent', 'escape'].forEach(function (name) {
            wrap(globalThis, name, function (self, args) {
              var text = toStr(args[0]);
              // one UTF-16 unit becomes at most 9 characters (%XX%XX%XX)
              if (text.length * 9 > maxChars) { refuse(name, text.length * 9, maxChars); }
              return [text];
            });
          });
          method(Array.prototype, 'join', function join(separator) {
            var items = Object(this), n = count(items.length), sep = separator === undefined ? ',' : toStr(separator), out = '';
            for (var i = 0; i < n; i++) {
              if (i > 0) { out += sep; }
              var item = items[i];
              if (item !== undefined && item !== null) { out += toStr(item); }
              if (out.length > maxChars) { refuse('join', out.length, maxChars); }
            }
            return out;
          });

          function bytesOf(source, per) {
            if (typeof source !== 'object' || source === null) { return count(source) * per; }
            return source instanceof OriginalArrayBuffer ? 0 : count(source.length) * per;
          }
          function guardConstructor(name, bytes) {
            var original = globalThis[name];
            if (typeof original !== 'function') { return; }
            var guarded = new Proxy(original, {
              construct: function (target, args, newTarget) {
                var n = bytes(args, target);
                if (n > maxBytes) { refuse('new ' + name, n + ' bytes', maxBytes + ' bytes'); }
                return construct(target, args, newTarget);
              }
            });
            method(original.prototype, 'constructor', guarded);
            method(globalThis, name, guarded);
          }
          guardConstructor('ArrayBuffer', function (args) {
            var options = args[1], max = options !== null && typeof options === 'object' ? count(options.maxByteLength) : 0;
            return Math.max(count(args[0]), max);
          });
          ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Float16Array', 'Int32Array',
           'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'].forEach(function (name) {
            guardConstructor(name, function (args, target) { return bytesOf(args[0], target.BYTES_PER_ELEMENT); });
          });
          ['resize', 'transfer', 'transferToFixedLength'].forEach(function (name) {
            wrap(OriginalArrayBuffer.prototype, name, function (self, args) {
              if (count(args[0]) > maxBytes) { refuse(name, count(args[0]) + ' bytes', maxBytes + ' bytes'); }
              return args;
            });
          });
          var typedJoin = Object.getPrototypeOf(Uint8Array.prototype);
          wrap(typedJoin, 'join', function (self, args) {
            // a number is at most 24 characters
            var n = count(self.length) * (24 + (args[0] === undefined ? 1 : toStr(args[0]).length));
            if (n > maxChars) { refuse('join', n, maxChars); }
            return args;
          });
          delete globalThis.SharedArrayBuffer;
          delete globalThis.Atomics;
        })(MAX_CHARS, MAX_BYTES);
        """;

    /// <summary>The guard script for the limits of <paramref name="options"/>.</summary>
    public static string Source(JavaScriptDecoderOptions options) => Template
        .Replace("MAX_CHARS", options.MaxStringChars.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("MAX_BYTES", options.MaxBufferBytes.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
