"""The original TF1 character LSTM (Udacity deep-learning assignment 6), as a reference.

A rewrite of the tutorial's program with tf.compat.v1 graph mode: the same model (one LSTM
layer of 64 units written gate by gate, one-hot input over a-z and space), the same batch
generator (64 cursors, 10 unrollings, state carried across batches), the same training
(SGD at 10, x0.1 every 5000 steps staircase, clipped to global norm 1.25) and the same
validation (the first 1000 characters, one character at a time from a zero state).

It reads its text from a file (already normalised to a-z and space by the caller, so both
programs see the same characters) and prints one JSON line: training steps/s (the time of
the training session.run calls only, after 20 warm-up steps), wall-clock steps/s including
the validations, and the final validation perplexity and bits/char.

Run by `npm run bench` when Python TensorFlow is available; the product never needs it.
"""
import argparse
import json
import math
import string
import sys
import time

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()

VOCABULARY_SIZE = len(string.ascii_lowercase) + 1  # a-z and space
FIRST_LETTER = ord(string.ascii_lowercase[0])


def char2id(char):
    if char in string.ascii_lowercase:
        return ord(char) - FIRST_LETTER + 1
    return 0


class BatchGenerator:
    """The tutorial's generator: `batch_size` cursors spread evenly over the text."""

    def __init__(self, text, batch_size, num_unrollings):
        self._text = text
        self._text_size = len(text)
        self._batch_size = batch_size
        self._num_unrollings = num_unrollings
        segment = self._text_size // batch_size
        self._cursor = [offset * segment for offset in range(batch_size)]
        self._last_batch = self._next_batch()

    def _next_batch(self):
        batch = np.zeros(shape=(self._batch_size, VOCABULARY_SIZE), dtype=np.float32)
        for b in range(self._batch_size):
            batch[b, char2id(self._text[self._cursor[b]])] = 1.0
            self._cursor[b] = (self._cursor[b] + 1) % self._text_size
        return batch

    def next(self):
        batches = [self._last_batch]
        for _ in range(self._num_unrollings):
            batches.append(self._next_batch())
        self._last_batch = batches[-1]
        return batches


def logprob(predictions, labels):
    predictions = np.maximum(predictions, 1e-10)
    return np.sum(np.multiply(labels, -np.log(predictions))) / labels.shape[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--text", required=True)
    parser.add_argument("--steps", type=int, default=7001)
    parser.add_argument("--summary", type=int, default=100)
    parser.add_argument("--validation", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with open(args.text, encoding="utf-8") as handle:
        text = handle.read()
    valid_size = args.validation
    valid_text = text[:valid_size]
    train_text = text[valid_size:]

    batch_size = 64
    num_unrollings = 10
    num_nodes = 64

    graph = tf1.Graph()
    with graph.as_default():
        tf1.set_random_seed(args.seed)
        # The tutorial's initialisers, quirk included: truncated_normal(shape, -0.1, 0.1)
        # means mean -0.1 and standard deviation 0.1.
        def weights(shape):
            return tf1.Variable(tf1.truncated_normal(shape, -0.1, 0.1))

        ix, im, ib = weights([VOCABULARY_SIZE, num_nodes]), weights([num_nodes, num_nodes]), tf1.Variable(tf1.zeros([1, num_nodes]))
        fx, fm, fb = weights([VOCABULARY_SIZE, num_nodes]), weights([num_nodes, num_nodes]), tf1.Variable(tf1.zeros([1, num_nodes]))
        cx, cm, cb = weights([VOCABULARY_SIZE, num_nodes]), weights([num_nodes, num_nodes]), tf1.Variable(tf1.zeros([1, num_nodes]))
        ox, om, ob = weights([VOCABULARY_SIZE, num_nodes]), weights([num_nodes, num_nodes]), tf1.Variable(tf1.zeros([1, num_nodes]))
        saved_output = tf1.Variable(tf1.zeros([batch_size, num_nodes]), trainable=False)
        saved_state = tf1.Variable(tf1.zeros([batch_size, num_nodes]), trainable=False)
        w = weights([num_nodes, VOCABULARY_SIZE])
        b = tf1.Variable(tf1.zeros([VOCABULARY_SIZE]))

        def lstm_cell(i, o, state):
            input_gate = tf1.sigmoid(tf1.matmul(i, ix) + tf1.matmul(o, im) + ib)
            forget_gate = tf1.sigmoid(tf1.matmul(i, fx) + tf1.matmul(o, fm) + fb)
            update = tf1.matmul(i, cx) + tf1.matmul(o, cm) + cb
            state = forget_gate * state + input_gate * tf1.tanh(update)
            output_gate = tf1.sigmoid(tf1.matmul(i, ox) + tf1.matmul(o, om) + ob)
            return output_gate * tf1.tanh(state), state

        train_data = [tf1.placeholder(tf1.float32, shape=[batch_size, VOCABULARY_SIZE]) for _ in range(num_unrollings + 1)]
        train_inputs = train_data[:num_unrollings]
        train_labels = train_data[1:]

        outputs = []
        output = saved_output
        state = saved_state
        for i in train_inputs:
            output, state = lstm_cell(i, output, state)
            outputs.append(output)

        with tf1.control_dependencies([saved_output.assign(output), saved_state.assign(state)]):
            logits = tf1.nn.xw_plus_b(tf1.concat(outputs, 0), w, b)
            loss = tf1.reduce_mean(
                tf1.nn.softmax_cross_entropy_with_logits_v2(labels=tf1.concat(train_labels, 0), logits=logits)
            )

        global_step = tf1.Variable(0)
        learning_rate = tf1.train.exponential_decay(10.0, global_step, 5000, 0.1, staircase=True)
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        gradients, variables = zip(*optimizer.compute_gradients(loss))
        gradients, _ = tf1.clip_by_global_norm(gradients, 1.25)
        optimizer = optimizer.apply_gradients(zip(gradients, variables), global_step=global_step)

        sample_input = tf1.placeholder(tf1.float32, shape=[1, VOCABULARY_SIZE])
        saved_sample_output = tf1.Variable(tf1.zeros([1, num_nodes]))
        saved_sample_state = tf1.Variable(tf1.zeros([1, num_nodes]))
        reset_sample_state = tf1.group(
            saved_sample_output.assign(tf1.zeros([1, num_nodes])), saved_sample_state.assign(tf1.zeros([1, num_nodes]))
        )
        sample_output, sample_state = lstm_cell(sample_input, saved_sample_output, saved_sample_state)
        with tf1.control_dependencies([saved_sample_output.assign(sample_output), saved_sample_state.assign(sample_state)]):
            sample_prediction = tf1.nn.softmax(tf1.nn.xw_plus_b(sample_output, w, b))

    train_batches = BatchGenerator(train_text, batch_size, num_unrollings)
    valid_batches = BatchGenerator(valid_text, 1, 1)

    train_seconds = 0.0
    timed_steps = 0
    warmup = min(20, args.steps // 10)
    perplexity = float("nan")
    wall_started = time.perf_counter()
    with tf1.Session(graph=graph) as session:
        tf1.global_variables_initializer().run()
        for step in range(args.steps):
            batches = train_batches.next()
            feed_dict = {train_data[i]: batches[i] for i in range(num_unrollings + 1)}
            started = time.perf_counter()
            session.run([optimizer, loss], feed_dict=feed_dict)
            if step >= warmup:
                train_seconds += time.perf_counter() - started
                timed_steps += 1
            if step % args.summary == 0 or step == args.steps - 1:
                reset_sample_state.run()
                valid_logprob = 0.0
                for _ in range(valid_size):
                    batch = valid_batches.next()
                    predictions = sample_prediction.eval({sample_input: batch[0]})
                    valid_logprob += logprob(predictions, batch[1])
                perplexity = float(np.exp(valid_logprob / valid_size))
                print("step %d validation perplexity %.2f" % (step, perplexity), file=sys.stderr)
    wall_seconds = time.perf_counter() - wall_started

    print(
        json.dumps(
            {
                "steps": args.steps,
                "stepsPerSec": timed_steps / train_seconds if train_seconds > 0 else None,
                "wallStepsPerSec": args.steps / wall_seconds,
                "validationPerplexity": perplexity,
                "bitsPerChar": math.log2(perplexity),
                "tensorflowVersion": tf.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
