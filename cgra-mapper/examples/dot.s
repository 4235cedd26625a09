# int32 dot product on OpenEdgeCGRA: out = sum_i x[i] * w[i].
# Column 0's read pointer -> [N, x0, x1, ...]; column 1's read pointer -> [w0, w1, ...];
# column 1's write pointer -> the output word. N >= 1.
# PE(0,0) loads x and counts; PE(0,1) loads w and multiplies; PE(1,1) accumulates and stores.
arch 4x4
kernel 1 name=dot cols=2
step 0
  LWD R0, 4              | NOP                      # R0 = N
  NOP                    | NOP
  NOP                    | NOP
  NOP                    | NOP
step 1 loop:
  LWD ROUT, 4            | LWD ROUT, 4              # x[i] | w[i]
  NOP                    | NOP
  NOP                    | NOP
  NOP                    | NOP
step 2
  SSUB R0, R0, 1         | SMUL ROUT, RCL, ROUT     # count down | x[i] * w[i]
  NOP                    | NOP
  NOP                    | NOP
  NOP                    | NOP
step 3
  BNE R0, ZERO, loop     | NOP                      # the only branching PE; its ROUT is not read
  NOP                    | SADD R0, R0, RCT         # acc += product (from the PE above)
  NOP                    | NOP
  NOP                    | NOP
step 4
  NOP                    | NOP
  NOP                    | SWD R0, 4
  NOP                    | NOP
  NOP                    | NOP
step 5
  EXIT                   | NOP
  NOP                    | NOP
  NOP                    | NOP
  NOP                    | NOP
end
