/**
 * kafkajs 2.2.4 schedules a timer with a negative delay on every connection, which Node 24 reports as
 * a TimeoutNegativeWarning (tulios/kafkajs#1751; Node clamps it to 1 ms, the intended behaviour).
 * Hide that one warning, when it comes from kafkajs, so real warnings stay visible.
 */
export function hideKnownKafkajsWarning(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning' && warning.stack?.includes('kafkajs')) return;
    for (const print of printers) print.call(process, warning);
  });
}
