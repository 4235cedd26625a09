// UNIDIRECTIONAL_SEQUENCE_LSTM through the Cortex-M backend on QEMU Cortex-M4: the zoo's three LSTM models over
// 10 consecutive invocations (lstm.lut; micro_speech_lstm also lstm.dsp) and 3 random LSTM graphs over 4, the
// C equal to the golden runtime with the state carried (tests/mcu-backend/helpers/lstm.ts; the host checks
// are lstm.test.ts). Under CI=true a missing model or tool fails; otherwise it is skipped.
import { lstmTests } from './helpers/lstm.ts';

lstmTests('m4');
